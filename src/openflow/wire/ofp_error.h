// OpenFlow errors: every error the codec (and, later, the switch) reports,
// by its OpenFlow name, with the (type, code) each OpenFlow version uses for
// it, and the result type the codec returns.
//
// Errors that a version has no standard code for travel as Open vSwitch does:
// Nicira vendor errors (type 0xb0c2, then vendor/type/code) before OpenFlow
// 1.2, experimenter errors (type 0xffff, exp_type, experimenter id) from 1.2.
// An error a version cannot express at all becomes NXBRC_UNENCODABLE_ERROR.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "common/result.h"

namespace flowpath::openflow::wire {

// X(NAME, "where it is defined"): VENDOR VERSIONS (TYPE[,CODE]) items, e.g.
// "OF1.0+(1,6)" is type 1 code 6 in every version, "NX1.0-1.1(1,256),
// NX1.2+(2)" a Nicira error with type 1 code 256 in OpenFlow 1.0 and 1.1 and
// exp_type 2 from 1.2, "ONF1.3(2640)" an ONF experimenter error in 1.3.
#define FLOWPATH_OFP_ERRORS(X) \
  X(OFPHFC_INCOMPATIBLE, "OF1.0+(0,0)") \
  X(OFPHFC_EPERM, "OF1.0+(0,1)") \
  X(OFPBRC_BAD_VERSION, "OF1.0+(1,0)") \
  X(OFPBRC_BAD_TYPE, "OF1.0+(1,1)") \
  X(OFPBRC_BAD_STAT, "OF1.0+(1,2)") \
  X(OFPBRC_BAD_VENDOR, "OF1.0+(1,3)") \
  X(OFPBRC_BAD_SUBTYPE, "OF1.0+(1,4)") \
  X(OFPBRC_EPERM, "OF1.0+(1,5)") \
  X(OFPBRC_BAD_LEN, "OF1.0+(1,6)") \
  X(OFPBRC_BUFFER_EMPTY, "OF1.0+(1,7)") \
  X(OFPBRC_BUFFER_UNKNOWN, "OF1.0+(1,8)") \
  X(OFPBRC_BAD_TABLE_ID, "NX1.0(1,512), OF1.1+(1,9)") \
  X(OFPBRC_IS_SECONDARY, "OF1.0-1.1(1,5), OF1.2+(1,10)") \
  X(OFPBRC_BAD_PORT, "NX1.0-1.1(1,514), OF1.2+(1,11)") \
  X(OFPBRC_BAD_PACKET, "OF1.2+(1,12)") \
  X(OFPBRC_MULTIPART_BUFFER_OVERFLOW, "OF1.3+(1,13)") \
  X(OFPBRC_MULTIPART_REQUEST_TIMEOUT, "ONF1.3(2640), OF1.4+(1,14)") \
  X(OFPBRC_MULTIPART_REPLY_TIMEOUT, "ONF1.3(2641), OF1.4+(1,15)") \
  X(OFPBRC_MULTIPART_BAD_SCHED, "OF1.5+(1,16)") \
  X(OFPBRC_PIPELINE_FIELDS_ONLY, "OF1.5+(1,17)") \
  X(OFPBRC_UNKNOWN, "OF1.5+(1,18)") \
  X(NXBRC_NXM_INVALID, "NX1.0-1.1(1,256), NX1.2+(2)") \
  X(NXBRC_NXM_BAD_TYPE, "NX1.0-1.1(1,257), NX1.2+(3)") \
  X(NXBRC_MUST_BE_ZERO, "NX1.0-1.1(1,515), NX1.2+(4)") \
  X(NXBRC_BAD_REASON, "NX1.0-1.1(1,516), NX1.2+(5)") \
  X(NXBRC_FM_BAD_EVENT, "NX1.0-1.1(1,520), NX1.2+(9)") \
  X(NXBRC_UNENCODABLE_ERROR, "NX1.0-1.1(1,521), NX1.2+(10)") \
  X(OFPBAC_BAD_TYPE, "OF1.0+(2,0)") \
  X(OFPBAC_BAD_LEN, "OF1.0+(2,1)") \
  X(OFPBAC_BAD_VENDOR, "OF1.0+(2,2)") \
  X(OFPBAC_BAD_VENDOR_TYPE, "OF1.0+(2,3)") \
  X(OFPBAC_BAD_OUT_PORT, "OF1.0+(2,4)") \
  X(OFPBAC_BAD_ARGUMENT, "OF1.0+(2,5)") \
  X(OFPBAC_EPERM, "OF1.0+(2,6)") \
  X(OFPBAC_TOO_MANY, "OF1.0+(2,7)") \
  X(OFPBAC_BAD_QUEUE, "OF1.0+(2,8)") \
  X(OFPBAC_BAD_OUT_GROUP, "NX1.0(2,9), OF1.1+(2,9)") \
  X(OFPBAC_MATCH_INCONSISTENT, "NX1.0(1,522), OF1.1+(2,10)") \
  X(OFPBAC_UNSUPPORTED_ORDER, "OF1.1+(2,11)") \
  X(OFPBAC_BAD_TAG, "OF1.1+(2,12)") \
  X(OFPBAC_BAD_SET_TYPE, "NX1.0-1.1(1,523), OF1.2+(2,13)") \
  X(OFPBAC_BAD_SET_LEN, "NX1.0-1.1(1,524), OF1.2+(2,14)") \
  X(OFPBAC_BAD_SET_ARGUMENT, "NX1.0-1.1(1,525), OF1.2+(2,15)") \
  X(OFPBAC_BAD_SET_MASK, "ONF1.3-1.4(4250), OF1.5+(2,16)") \
  X(OFPBAC_BAD_METER, "OF1.5+(2,17)") \
  X(NXBAC_MUST_BE_ZERO, "NX1.0-1.1(2,256), NX1.2+(11)") \
  X(NXBAC_BAD_CONJUNCTION, "NX1.0-1.1(2,526), NX1.2+(15)") \
  X(NXBAC_BAD_HEADER_TYPE, "NX1.3+(39)") \
  X(NXBAC_UNKNOWN_ED_PROP, "NX1.3+(40)") \
  X(NXBAC_BAD_ED_PROP, "NX1.3+(41)") \
  X(NXBAC_CT_DATAPATH_SUPPORT, "NX1.0-1.1(1,265), NX1.2+(42)") \
  X(OFPBIC_UNKNOWN_INST, "OF1.1+(3,0)") \
  X(OFPBIC_UNSUP_INST, "NX1.0(2,257), OF1.1+(3,1)") \
  X(OFPBIC_BAD_TABLE_ID, "OF1.1+(3,2)") \
  X(OFPBIC_UNSUP_METADATA, "OF1.1+(3,3)") \
  X(OFPBIC_UNSUP_METADATA_MASK, "OF1.1+(3,4)") \
  X(OFPBIC_BAD_EXPERIMENTER, "OF1.1+(3,5)") \
  X(OFPBIC_BAD_EXP_TYPE, "OF1.1(3,5), OF1.2+(3,6)") \
  X(OFPBIC_BAD_LEN, "OF1.2+(3,7)") \
  X(OFPBIC_EPERM, "OF1.2+(3,8)") \
  X(OFPBIC_DUP_INST, "NX1.1(3,256), ONF1.2-1.3(2600), OF1.4+(3,9)") \
  X(OFPBMC_BAD_TYPE, "OF1.1+(4,0)") \
  X(OFPBMC_BAD_LEN, "OF1.1+(4,1)") \
  X(OFPBMC_BAD_TAG, "OF1.1+(4,2)") \
  X(OFPBMC_BAD_DL_ADDR_MASK, "OF1.1+(4,3)") \
  X(OFPBMC_BAD_NW_ADDR_MASK, "OF1.1+(4,4)") \
  X(OFPBMC_BAD_WILDCARDS, "NX1.0(1,262), OF1.1+(4,5)") \
  X(OFPBMC_BAD_FIELD, "NX1.0(0,263), OF1.1+(4,6)") \
  X(OFPBMC_BAD_VALUE, "NX1.0(1,258), OF1.1+(4,7)") \
  X(OFPBMC_BAD_MASK, "NX1.0-1.1(1,259), OF1.2+(4,8)") \
  X(OFPBMC_BAD_PREREQ, "NX1.0-1.1(1,260), OF1.2+(4,9)") \
  X(OFPBMC_DUP_FIELD, "NX1.0-1.1(1,261), OF1.2+(4,10)") \
  X(OFPBMC_EPERM, "OF1.2+(4,11)") \
  X(NXBMC_CT_DATAPATH_SUPPORT, "NX1.0-1.1(1,264), NX1.2+(43)") \
  X(OFPFMFC_UNKNOWN, "OF1.1+(5,0)") \
  X(OFPFMFC_TABLE_FULL, "OF1.0(3,0), OF1.1+(5,1)") \
  X(OFPFMFC_BAD_TABLE_ID, "OF1.1+(5,2)") \
  X(OFPFMFC_OVERLAP, "OF1.0(3,1), OF1.1+(5,3)") \
  X(OFPFMFC_EPERM, "OF1.0(3,2), OF1.1+(5,4)") \
  X(OFPFMFC_BAD_TIMEOUT, "OF1.1+(5,5)") \
  X(OFPFMFC_BAD_EMERG_TIMEOUT, "OF1.0(3,3)") \
  X(OFPFMFC_BAD_COMMAND, "OF1.0(3,4), OF1.1+(5,6)") \
  X(OFPFMFC_BAD_FLAGS, "NX1.0(3,258), NX1.1(5,258), OF1.2+(5,7)") \
  X(OFPFMFC_CANT_SYNC, "OF1.4+(5,8)") \
  X(OFPFMFC_BAD_PRIORITY, "ONF1.3(2360), OF1.4+(5,9)") \
  X(OFPFMFC_IS_SYNC, "OF1.4+(5,10)") \
  X(OFPFMFC_UNSUPPORTED, "OF1.0(3,5)") \
  X(NXFMFC_HARDWARE, "NX1.0-1.1(5,256), NX1.2+(12)") \
  X(NXFMFC_BAD_TABLE_ID, "NX1.0-1.1(5,257), NX1.2+(13)") \
  X(NXFMFC_INVALID_TLV_FIELD, "NX1.0-1.1(1,536), NX1.2+(37)") \
  X(OFPGMFC_GROUP_EXISTS, "NX1.0(6,0), OF1.1+(6,0)") \
  X(OFPGMFC_INVALID_GROUP, "NX1.0(6,1), OF1.1+(6,1)") \
  X(OFPGMFC_WEIGHT_UNSUPPORTED, "NX1.0(6,2), OF1.1+(6,2)") \
  X(OFPGMFC_OUT_OF_GROUPS, "NX1.0(6,3), OF1.1+(6,3)") \
  X(OFPGMFC_OUT_OF_BUCKETS, "NX1.0(6,4), OF1.1+(6,4)") \
  X(OFPGMFC_CHAINING_UNSUPPORTED, "NX1.0(6,5), OF1.1+(6,5)") \
  X(OFPGMFC_WATCH_UNSUPPORTED, "NX1.0(6,6), OF1.1+(6,6)") \
  X(OFPGMFC_LOOP, "NX1.0(6,7), OF1.1+(6,7)") \
  X(OFPGMFC_UNKNOWN_GROUP, "NX1.0(6,8), OF1.1+(6,8)") \
  X(OFPGMFC_CHAINED_GROUP, "NX1.0(6,9), OF1.2+(6,9)") \
  X(OFPGMFC_BAD_TYPE, "NX1.0(6,10), OF1.2+(6,10)") \
  X(OFPGMFC_BAD_COMMAND, "NX1.0(6,11), OF1.2+(6,11)") \
  X(OFPGMFC_BAD_BUCKET, "NX1.0(6,12), OF1.2+(6,12)") \
  X(OFPGMFC_BAD_WATCH, "NX1.0(6,13), OF1.2+(6,13)") \
  X(OFPGMFC_EPERM, "NX1.0(6,14), OF1.2+(6,14)") \
  X(OFPGMFC_UNKNOWN_BUCKET, "NX1.0(6,15), OF1.5+(6,15)") \
  X(OFPGMFC_BUCKET_EXISTS, "NX1.0(6,16), OF1.5+(6,16)") \
  X(OFPPMFC_BAD_PORT, "OF1.0(4,0), OF1.1+(7,0)") \
  X(OFPPMFC_BAD_HW_ADDR, "OF1.0(4,1), OF1.1+(7,1)") \
  X(OFPPMFC_BAD_CONFIG, "OF1.1+(7,2)") \
  X(OFPPMFC_BAD_ADVERTISE, "OF1.1+(7,3)") \
  X(OFPPMFC_EPERM, "OF1.2+(7,4)") \
  X(OFPTMFC_BAD_TABLE, "OF1.1+(8,0)") \
  X(OFPTMFC_BAD_CONFIG, "OF1.1+(8,1)") \
  X(OFPTMFC_EPERM, "OF1.2+(8,2)") \
  X(OFPQOFC_BAD_PORT, "OF1.0(5,0), OF1.1+(9,0)") \
  X(OFPQOFC_BAD_QUEUE, "OF1.0(5,1), OF1.1+(9,1)") \
  X(OFPQOFC_EPERM, "OF1.0(5,2), OF1.1+(9,2)") \
  X(NXQOFC_QUEUE_ERROR, "NX1.4+(23)") \
  X(OFPSCFC_BAD_FLAGS, "OF1.1+(10,0)") \
  X(OFPSCFC_BAD_LEN, "OF1.1+(10,1)") \
  X(OFPSCFC_EPERM, "OF1.2+(10,2)") \
  X(OFPRRFC_STALE, "OF1.2+(11,0)") \
  X(OFPRRFC_UNSUP, "OF1.2+(11,1)") \
  X(OFPRRFC_BAD_ROLE, "NX1.0-1.1(1,513), OF1.2+(11,2)") \
  X(OFPRRFC_ID_UNSUP, "OF1.5+(11,3)") \
  X(OFPRRFC_ID_IN_USE, "OF1.5+(11,4)") \
  X(OFPMMFC_UNKNOWN, "OF1.3+(12,0)") \
  X(OFPMMFC_METER_EXISTS, "OF1.3+(12,1)") \
  X(OFPMMFC_INVALID_METER, "OF1.3+(12,2)") \
  X(OFPMMFC_UNKNOWN_METER, "OF1.3+(12,3)") \
  X(OFPMMFC_BAD_COMMAND, "OF1.3+(12,4)") \
  X(OFPMMFC_BAD_FLAGS, "OF1.3+(12,5)") \
  X(OFPMMFC_BAD_RATE, "OF1.3+(12,6)") \
  X(OFPMMFC_BAD_BURST, "OF1.3+(12,7)") \
  X(OFPMMFC_BAD_BAND, "OF1.3+(12,8)") \
  X(OFPMMFC_BAD_BAND_VALUE, "OF1.3+(12,9)") \
  X(OFPMMFC_OUT_OF_METERS, "OF1.3+(12,10)") \
  X(OFPMMFC_OUT_OF_BANDS, "OF1.3+(12,11)") \
  X(OFPTFFC_BAD_TABLE, "OF1.3+(13,0)") \
  X(OFPTFFC_BAD_METADATA, "OF1.3+(13,1)") \
  X(OFPTFFC_EPERM, "OF1.3+(13,5)") \
  X(OFPTFFC_BAD_CAPA, "OF1.5+(13,6)") \
  X(OFPTFFC_BAD_MAX_ENT, "OF1.5+(13,7)") \
  X(OFPTFFC_BAD_FEATURES, "OF1.5+(13,8)") \
  X(OFPTFFC_BAD_COMMAND, "OF1.5+(13,9)") \
  X(OFPTFFC_TOO_MANY, "OF1.5+(13,10)") \
  X(NXTFFC_DUP_TABLE, "NX1.3+(44)") \
  X(OFPBPC_BAD_TYPE, "NX1.0-1.1(13,2), NX1.2(25), OF1.3(13,2), OF1.4+(14,0)") \
  X(OFPBPC_BAD_LEN, "NX1.0-1.1(13,3), NX1.2(26), OF1.3(13,3), OF1.4+(14,1)") \
  X(OFPBPC_BAD_VALUE, "NX1.0-1.1(13,4), NX1.2(27), OF1.3(13,4), OF1.4+(14,2)") \
  X(OFPBPC_TOO_MANY, "NX1.0-1.1(14,3), NX1.2(28), ONF1.3(4443), OF1.4+(14,3)") \
  X(OFPBPC_DUP_TYPE, "NX1.0-1.1(14,4), NX1.2(29), ONF1.3(4444), OF1.4+(14,4)") \
  X(OFPBPC_BAD_EXPERIMENTER, "NX1.0-1.1(14,5), NX1.2(30), ONF1.3(4445), OF1.4+(14,5)") \
  X(OFPBPC_BAD_EXP_TYPE, "NX1.0-1.1(14,6), NX1.2(31), ONF1.3(4446), OF1.4+(14,6)") \
  X(OFPBPC_BAD_EXP_VALUE, "NX1.0-1.1(14,7), NX1.2(32), ONF1.3(4447), OF1.4+(14,7)") \
  X(OFPBPC_EPERM, "NX1.0-1.1(14,8), NX1.2(33), ONF1.3(4448), OF1.4+(14,8)") \
  X(OFPACFC_INVALID, "ONF1.3(2370), OF1.4+(15,0)") \
  X(OFPACFC_UNSUPPORTED, "ONF1.3(2371), OF1.4+(15,1)") \
  X(OFPACFC_EPERM, "ONF1.3(2372), OF1.4+(15,2)") \
  X(OFPBFC_UNKNOWN, "ONF1.3(2300), OF1.4+(17,0)") \
  X(OFPBFC_EPERM, "ONF1.3(2301), OF1.4+(17,1)") \
  X(OFPBFC_BAD_ID, "ONF1.3(2302), OF1.4+(17,2)") \
  X(OFPBFC_BUNDLE_EXIST, "ONF1.3(2303), OF1.4+(17,3)") \
  X(OFPBFC_BUNDLE_CLOSED, "ONF1.3(2304), OF1.4+(17,4)") \
  X(OFPBFC_OUT_OF_BUNDLES, "ONF1.3(2305), OF1.4+(17,5)") \
  X(OFPBFC_BAD_TYPE, "ONF1.3(2306), OF1.4+(17,6)") \
  X(OFPBFC_BAD_FLAGS, "ONF1.3(2307), OF1.4+(17,7)") \
  X(OFPBFC_MSG_BAD_LEN, "ONF1.3(2308), OF1.4+(17,8)") \
  X(OFPBFC_MSG_BAD_XID, "ONF1.3(2309), OF1.4+(17,9)") \
  X(OFPBFC_MSG_UNSUP, "ONF1.3(2310), OF1.4+(17,10)") \
  X(OFPBFC_MSG_CONFLICT, "ONF1.3(2311), OF1.4+(17,11)") \
  X(OFPBFC_MSG_TOO_MANY, "ONF1.3(2312), OF1.4+(17,12)") \
  X(OFPBFC_MSG_FAILED, "ONF1.3(2313), OF1.4+(17,13)") \
  X(OFPBFC_TIMEOUT, "ONF1.3(2314), OF1.4+(17,14)") \
  X(OFPBFC_BUNDLE_IN_PROGRESS, "ONF1.3(2315), OF1.4+(17,15)") \
  X(OFPBFC_SCHED_NOT_SUPPORTED, "OF1.5+(17,16)") \
  X(OFPBFC_SCHED_FUTURE, "OF1.5+(17,17)") \
  X(OFPBFC_SCHED_PAST, "OF1.5+(17,18)") \
  X(OFPBFC_BAD_VERSION, "NX1.4-1.5(22)") \
  X(OFPMOFC_UNKNOWN, "OF1.4+(16,0)") \
  X(OFPMOFC_MONITOR_EXISTS, "NX1.0-1.1(1,517), NX1.2-1.3(6), OF1.4+(16,1)") \
  X(OFPMOFC_INVALID_MONITOR, "OF1.4+(16,2)") \
  X(OFPMOFC_UNKNOWN_MONITOR, "NX1.0-1.1(1,519), NX1.2-1.3(8), OF1.4+(16,3)") \
  X(OFPMOFC_BAD_COMMAND, "OF1.4+(16,4)") \
  X(OFPMOFC_BAD_FLAGS, "NX1.0-1.1(1,518), NX1.2-1.3(7), OF1.4+(16,5)") \
  X(OFPMOFC_BAD_TABLE_ID, "OF1.4+(16,6)") \
  X(OFPMOFC_BAD_OUT, "OF1.4+(16,7)") \
  X(NXTTMFC_BAD_COMMAND, "NX1.0-1.1(1,527), NX1.2+(16)") \
  X(NXTTMFC_BAD_OPT_LEN, "NX1.0-1.1(1,528), NX1.2+(17)") \
  X(NXTTMFC_BAD_FIELD_IDX, "NX1.0-1.1(1,529), NX1.2+(18)") \
  X(NXTTMFC_TABLE_FULL, "NX1.0-1.1(1,530), NX1.2+(19)") \
  X(NXTTMFC_ALREADY_MAPPED, "NX1.0-1.1(1,531), NX1.2+(20)") \
  X(NXTTMFC_DUP_ENTRY, "NX1.0-1.1(1,532), NX1.2+(21)") \
  X(NXTTMFC_INVALID_TLV_DEL, "NX1.0-1.1(1,537), NX1.2+(38)") \
  X(NXR_NOT_SUPPORTED, "NX1.0-1.1(1,533), NX1.2+(34)") \
  X(NXR_STALE, "NX1.0-1.1(1,534), NX1.2+(35)") \
  X(NXST_NOT_CONFIGURED, "NX1.0-1.1(1,535), NX1.2+(36)")

enum class OfpErrorCode : uint16_t {
#define FLOWPATH_OFP_ERROR_ENUM(name, where) name,
  FLOWPATH_OFP_ERRORS(FLOWPATH_OFP_ERROR_ENUM)
#undef FLOWPATH_OFP_ERROR_ENUM
};

// "OFPBRC_BAD_LEN".
std::string_view error_name(OfpErrorCode code);
std::optional<OfpErrorCode> error_from_name(std::string_view name);

// How an error is numbered in one OpenFlow version. vendor 0: a standard
// (type, code); otherwise a vendor extension error.
struct ErrorTriplet {
  uint32_t vendor = 0;
  uint16_t type = 0;
  uint16_t code = 0;
  friend bool operator==(const ErrorTriplet&, const ErrorTriplet&) = default;
};
// nullopt when `version` has no number for `code`.
std::optional<ErrorTriplet> error_triplet(OfpErrorCode code, uint8_t version);
std::optional<OfpErrorCode> error_from_triplet(const ErrorTriplet& triplet, uint8_t version);

// An error with what exactly was wrong ("flow_mod: instructions length 12 is
// not a multiple of 8").
struct OfpError {
  OfpErrorCode code;
  std::string detail;

  // "OFPBRC_BAD_LEN: flow_mod: ..."
  std::string to_string() const;
};

inline OfpError wire_error(OfpErrorCode code, std::string detail) {
  return OfpError{code, std::move(detail)};
}

// A decoded value or an OpenFlow error.
template <typename T>
class [[nodiscard]] WireResult {
 public:
  WireResult(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  WireResult(OfpError error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const OfpError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, OfpError> v_;
};
using WireStatus = WireResult<Ok>;

// Early returns, as TRY_ASSIGN / TRY_STATUS in common/result.h.
#define WIRE_TRY_ASSIGN(var, expr)                             \
  auto var##_wire_result = (expr);                             \
  if (!var##_wire_result.ok()) return var##_wire_result.error(); \
  auto& var = var##_wire_result.value()

#define WIRE_TRY(expr) \
  if (auto wire_status_ = (expr); !wire_status_.ok()) return wire_status_.error()

}  // namespace flowpath::openflow::wire
