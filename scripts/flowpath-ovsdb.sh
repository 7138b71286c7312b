#!/usr/bin/env bash
# Runs Debian's ovsdb-server with Open vSwitch's own schema (vswitch.ovsschema)
# for flowpathd, so that ovs-vsctl and everything else that speaks OVSDB can
# configure flowpath in place of ovs-vswitchd (docs/ovsdb.md).
#
#   flowpath-ovsdb.sh start  [--rundir DIR] [--dbdir DIR] [--remote tcp:IP:PORT]
#   flowpath-ovsdb.sh stop   [--rundir DIR]
#   flowpath-ovsdb.sh status [--rundir DIR]
#
# DIR defaults: --rundir /run/flowpath (beside flowpathd.sock), --dbdir
# /var/lib/flowpath (the database file conf.db, kept across reboots). start
# creates the database from the schema if there is none, converts one made
# with an older schema, starts ovsdb-server (socket RUNDIR/db.sock, also
# serving the managers of Open_vSwitch:manager_options, as Debian's ovs-ctl
# does), initialises the root row, and prints how to point flowpathd and
# ovs-vsctl (and ovs-appctl) at it. --remote adds a TCP listener (e.g. ptcp:6640:127.0.0.1).
set -euo pipefail

usage() { sed -n '6,8p' "$0" | sed 's/^# *//' >&2; exit 2; }
cmd=${1:-}; [ $# -gt 0 ] && shift
rundir=/run/flowpath; dbdir=/var/lib/flowpath; remotes=()
while [ $# -gt 0 ]; do
  case $1 in
    --rundir) rundir=${2:?--rundir needs a directory}; shift 2 ;;
    --dbdir) dbdir=${2:?--dbdir needs a directory}; shift 2 ;;
    --remote) remotes+=("--remote=${2:?--remote needs ptcp:PORT[:IP]}"); shift 2 ;;
    *) echo "flowpath-ovsdb.sh: unknown argument '$1'" >&2; usage ;;
  esac
done
schema=${FLOWPATH_OVS_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}
db=$dbdir/conf.db
sock=$rundir/db.sock
pidfile=$rundir/ovsdb-server.pid
ctl=$rundir/ovsdb-server.ctl

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

case $cmd in
start)
  for tool in ovsdb-server ovsdb-tool ovs-vsctl; do
    command -v "$tool" >/dev/null ||
      { echo "flowpath-ovsdb.sh: $tool not found (apt-get install openvswitch-switch)" >&2; exit 1; }
  done
  [ -f "$schema" ] || { echo "flowpath-ovsdb.sh: no schema at $schema (openvswitch-common)" >&2; exit 1; }
  if running; then echo "flowpath-ovsdb.sh: ovsdb-server already runs (pid $(cat "$pidfile"))" >&2; exit 1; fi
  mkdir -p "$rundir" "$dbdir"
  if [ ! -f "$db" ]; then
    ovsdb-tool create "$db" "$schema"
  elif [ "$(ovsdb-tool needs-conversion "$db" "$schema")" = yes ]; then
    ovsdb-tool convert "$db" "$schema"
  fi
  ovsdb-server "$db" --remote=punix:"$sock" \
    --remote=db:Open_vSwitch,Open_vSwitch,manager_options "${remotes[@]}" \
    --unixctl="$ctl" --pidfile="$pidfile" --log-file="$rundir/ovsdb-server.log" \
    --detach --no-chdir -vconsole:off
  ovs-vsctl --db=unix:"$sock" --no-wait init
  echo "ovsdb-server: database $db, socket $sock"
  echo "flowpathd --ovsdb unix:$sock --socket $rundir/flowpathd.sock --as-ovs-vswitchd"
  echo "export OVS_RUNDIR=$rundir   # then plain ovs-vsctl finds $sock, ovs-appctl flowpathd"
  ;;
stop)
  if running; then
    ovs-appctl -t "$ctl" exit >/dev/null 2>&1 || kill "$(cat "$pidfile")"
    for _ in $(seq 50); do running || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
  ;;
status)
  if running; then echo "ovsdb-server runs (pid $(cat "$pidfile")), socket $sock"; else echo "ovsdb-server is not running"; exit 3; fi
  ;;
*) usage ;;
esac
