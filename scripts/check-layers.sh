#!/usr/bin/env bash
# The layering of src/ as a test: each folder may include only the folders
# listed for it below (and itself). Arrows point down; nothing above the
# datapath includes table/: the slow path and the control plane reach the
# flow table through the datapath API (datapath/flow_api.h,
# datapath/datapath_handle.h). Prints every include that breaks the rule and
# exits 1, or prints the picture and exits 0.
#
#   scripts/check-layers.sh [SOURCE_ROOT]
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}

# layer: layers it may include (lowest first). A layer is a folder of src/
# (tools/ for tools); tunnel/ (outer headers, the underlay routes) sits
# below the actions and vports that push and pop them; openflow/wire is a
# layer of its own above the OpenFlow model, which must not include it, and
# openflow/channel (connections that carry wire messages) one above the wire
# codec.
declare -A allowed=(
  [common]=""
  [packet]="common"
  [flow]="common packet"
  [tunnel]="common packet flow"
  [table]="common packet flow"
  [actions]="common packet flow tunnel"
  [odp]="common packet flow actions"
  [conntrack]="common packet flow"
  [vport]="common packet tunnel"
  [datapath]="common packet flow tunnel table actions conntrack vport"
  [openflow]="common packet flow odp"
  [openflow/wire]="common packet flow odp openflow"
  [openflow/channel]="common packet flow odp openflow openflow/wire"
  [upcall]="common packet flow tunnel actions odp conntrack vport datapath"
  [ofproto]="common packet flow tunnel actions odp conntrack vport datapath upcall openflow openflow/wire openflow/channel"
  [ovsdb]="common packet flow tunnel actions odp conntrack vport datapath upcall openflow openflow/wire openflow/channel ofproto"
  [control]="common packet flow tunnel actions odp conntrack vport datapath upcall openflow openflow/wire openflow/channel ofproto"
  [tools]="common packet flow tunnel actions odp conntrack vport datapath upcall openflow openflow/wire openflow/channel ofproto ovsdb control"
)
order=(common packet flow tunnel table actions odp conntrack vport datapath openflow openflow/wire
       openflow/channel upcall ofproto ovsdb control tools)

# The layer a file or an include path belongs to.
layer_of() {
  case $1 in
    openflow/wire/*) echo openflow/wire ;;
    openflow/channel/*) echo openflow/channel ;;
    *) echo "${1%%/*}" ;;
  esac
}

bad=0
for layer in "${order[@]}"; do
  dir=$root/src/$layer
  [ "$layer" = tools ] && dir=$root/tools
  [ -d "$dir" ] || continue
  while IFS=: read -r file path; do
    # A file in a sub-layer (openflow/wire, openflow/channel) is checked as that layer.
    [ "$(layer_of "${file#"$root"/src/}")" = "$layer" ] || [ "$layer" = tools ] || continue
    target=$(layer_of "$path")
    [ "$target" = "$layer" ] && continue
    if [[ " ${allowed[$layer]} " != *" $target "* ]]; then
      echo "layering: ${file#"$root"/} includes $target/ (${layer}/ may include: ${allowed[$layer]:-nothing})" >&2
      bad=1
    fi
  done < <(grep -roE '^#include "[a-z_]+/[a-z_./]+"' "$dir" --include='*.h' --include='*.cc' |
             sed -E 's/:#include "/:/; s/"$//' || true)
done
if [ "$bad" -ne 0 ]; then exit 1; fi
for layer in "${order[@]}"; do printf '%-14s -> %s\n' "$layer" "${allowed[$layer]:-(nothing)}"; done
