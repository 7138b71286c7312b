// learn(...)'s ovs-ofctl text (ovs-actions(7) "learn"). Printed back by
// of_action_format_ext.cc in the form ovs-ofctl prints.
#include <string>

#include "openflow/nxm_field.h"
#include "openflow/of_learn.h"
#include "openflow/of_text_internal.h"

namespace flowpath::openflow {

namespace {

using of_text::KeyValue;
using of_text::parse_uint;
using Spec = action::LearnSpec;
using Number = field_internal::U128;

std::string str(std::string_view s) { return std::string(s); }
// learn's own keywords are case-sensitive, as in Open vSwitch.
bool iequals(std::string_view a, std::string_view b) { return a == b; }
std::string quoted(std::string_view s) { return "\"" + str(s) + "\""; }

// FIELD (the whole field, as Open vSwitch's subfield syntax allows), FIELD[],
// FIELD[bit] or FIELD[a..b].
Result<Subfield> subfield(std::string_view text, std::string_view what) {
  if (text.find('[') != std::string_view::npos) return of_text::parse_subfield(text, what);
  const OfFieldInfo* field = find_field(text);
  if (!field) return make_error(str(what) + ": unknown field " + quoted(text));
  return Subfield{field, 0, static_cast<uint16_t>(nxm_value_bits(*field))};
}

// A number written into an NXM field: OpenFlow must be able to name it.
Status nxm_named(const Subfield& sf, std::string_view what) {
  if (nxm_field_for(*sf.field, 0)) return Ok{};
  return make_error(str(what) + ": field " + str(sf.field->name) +
                    " has no NXM/OXM header, so learn cannot carry it");
}

std::vector<uint8_t> immediate_bytes(Number n, unsigned n_bits) {
  std::vector<uint8_t> out((n_bits + 7) / 8);
  for (size_t i = 0; i < out.size(); ++i)
    out[out.size() - 1 - i] = static_cast<uint8_t>(n >> (8 * i));
  return out;
}

std::optional<Number> to_number(std::string_view text) {
  auto bits = of_text::to_bits128(text);
  if (!bits) return std::nullopt;
  return (Number{bits->hi} << 64) | bits->lo;
}

std::string hex_number(Number n) {
  of_text::Bits128 b{static_cast<uint64_t>(n >> 64), static_cast<uint64_t>(n)};
  return of_text::format_hex(b);
}

Status fits(Number n, unsigned n_bits, std::string_view what, std::string_view value) {
  if (n_bits >= 128 || (n >> n_bits) == 0) return Ok{};
  return make_error(str(what) + ": value " + str(value) + " (" + hex_number(n) +
                    ") does not fit in " + std::to_string(n_bits) + " bits");
}

// FIELD[a..b], FIELD[a..b]=FIELD[c..d] or FIELD[a..b]=VALUE.
Result<Spec> match_spec(const KeyValue& kv, const PortNameResolver& ports) {
  const std::string what = "learn: " + str(kv.whole);
  auto dst = subfield(kv.key, what);
  if (!dst) return Error{dst.error()};
  if (Status s = nxm_named(*dst, what); !s) return Error{s.error()};
  Spec spec;
  spec.dst_type = Spec::Dst::kMatch;
  spec.dst = *dst;
  spec.n_bits = dst->n_bits;
  if (kv.delim == '\0' || kv.value.empty()) {
    if (kv.delim != '\0') return make_error(what + ": missing value after '='");
    spec.src = *dst;
    return spec;
  }
  if (kv.delim != '=') return make_error(what + ": expected FIELD[]=SOURCE");
  const bool looks_like_field = !kv.value.empty() && !std::isdigit(static_cast<unsigned char>(kv.value[0])) &&
                                find_field(kv.value.substr(0, kv.value.find('[')));
  if (looks_like_field) {
    auto src = subfield(kv.value, what);
    if (!src) return Error{src.error()};
    if (src->n_bits != dst->n_bits)
      return make_error(what + ": " + str(kv.key) + " is " + std::to_string(dst->n_bits) +
                        " bits wide but " + str(kv.value) + " is " + std::to_string(src->n_bits));
    spec.src = *src;
    return spec;
  }
  spec.src_type = Spec::Src::kImmediate;
  Number n = 0;
  if (dst->ofs == 0 && dst->n_bits == nxm_value_bits(*dst->field)) {
    // The whole field: a value in the field's own syntax (an address, a name).
    auto value = parse_field_value(*dst->field, kv.value, ports);
    if (!value) return make_error(what + ": " + value.error());
    if (nxm_mask_number(*dst->field, value->mask) != field_internal::low_bits(dst->n_bits))
      return make_error(what + ": a learned match on a field is exact; no mask");
    n = nxm_number(*dst->field, value->value);
  } else {
    auto v = to_number(kv.value);
    if (!v) return make_error(what + ": " + quoted(kv.value) + " is neither a field nor a number");
    if (Status s = fits(*v, dst->n_bits, what, kv.value); !s) return Error{s.error()};
    n = *v;
  }
  spec.immediate = immediate_bytes(n, dst->n_bits);
  return spec;
}

// load:SOURCE->DST where SOURCE is a field or a number.
Result<Spec> load_spec(const KeyValue& kv) {
  const std::string what = "learn: " + str(kv.whole);
  const size_t arrow = kv.value.find("->");
  if (arrow == std::string_view::npos) return make_error(what + ": missing \"->\"");
  if (arrow == 0) return make_error(what + ": missing source before \"->\"");
  std::string_view src_text = kv.value.substr(0, arrow), dst_text = kv.value.substr(arrow + 2);
  auto dst = subfield(dst_text, what);
  if (!dst) return Error{dst.error()};
  if (!dst->field->writable)
    return make_error(what + ": field " + str(dst->field->name) + " cannot be written");
  if (Status s = nxm_named(*dst, what); !s) return Error{s.error()};
  Spec spec;
  spec.dst_type = Spec::Dst::kLoad;
  spec.dst = *dst;
  spec.n_bits = dst->n_bits;
  if (auto v = to_number(src_text)) {
    if (Status s = fits(*v, dst->n_bits, what, src_text); !s) return Error{s.error()};
    spec.src_type = Spec::Src::kImmediate;
    spec.immediate = immediate_bytes(*v, dst->n_bits);
    return spec;
  }
  auto src = subfield(src_text, what);
  if (!src) return Error{src.error()};
  if (src->n_bits != dst->n_bits)
    return make_error(what + ": " + str(src_text) + " is " + std::to_string(src->n_bits) +
                      " bits wide but " + str(dst_text) + " is " + std::to_string(dst->n_bits));
  spec.src = *src;
  return spec;
}

Result<uint64_t> number(const KeyValue& kv, uint64_t max) {
  return parse_uint(kv.value, 0, max, "learn " + str(kv.key));
}

}  // namespace

Result<action::Learn> parse_learn_action(std::string_view args, const PortNameResolver& ports) {
  auto items = of_text::split_key_values(args);
  if (!items) return make_error("learn: " + items.error());
  action::Learn learn;
  for (const KeyValue& kv : *items) {
    const std::string_view key = kv.key;
    auto u16 = [&](uint16_t& out) -> Status {
      auto v = number(kv, 0xffff);
      if (!v) return Error{v.error()};
      out = static_cast<uint16_t>(*v);
      return Ok{};
    };
    Status st = Ok{};
    if (iequals(key, "table")) {
      auto v = number(kv, 255);
      if (!v) return Error{v.error()};
      if (*v == 255) return make_error("learn: table 255 is not a table a flow can be learned into");
      learn.table = static_cast<uint8_t>(*v);
    } else if (iequals(key, "priority")) {
      st = u16(learn.priority);
    } else if (iequals(key, "idle_timeout")) {
      st = u16(learn.idle_timeout);
    } else if (iequals(key, "hard_timeout")) {
      st = u16(learn.hard_timeout);
    } else if (iequals(key, "fin_idle_timeout")) {
      st = u16(learn.fin_idle_timeout);
    } else if (iequals(key, "fin_hard_timeout")) {
      st = u16(learn.fin_hard_timeout);
    } else if (iequals(key, "cookie")) {
      auto v = number(kv, ~uint64_t{0});
      if (!v) return Error{v.error()};
      learn.cookie = *v;
    } else if (iequals(key, "send_flow_rem") || iequals(key, "delete_learned")) {
      if (kv.delim != '\0') return make_error("learn: " + str(key) + " takes no value");
      learn.flags |= iequals(key, "send_flow_rem") ? 1 : 2;
    } else if (iequals(key, "limit")) {
      auto v = number(kv, 0xffffffff);
      if (!v) return Error{v.error()};
      learn.limit = static_cast<uint32_t>(*v);
    } else if (iequals(key, "result_dst")) {
      auto dst = subfield(kv.value, "learn result_dst");
      if (!dst) return Error{dst.error()};
      if (!dst->field->writable)
        return make_error("learn result_dst: field " + str(dst->field->name) + " cannot be written");
      if (dst->n_bits != 1)
        return make_error("learn result_dst: " + quoted(kv.value) + " must be a single bit");
      learn.result_dst = *dst;
      learn.flags |= 4;
    } else if (iequals(key, "load")) {
      auto spec = load_spec(kv);
      if (!spec) return Error{spec.error()};
      learn.specs.push_back(std::move(*spec));
    } else if (iequals(key, "output")) {
      auto src = subfield(kv.value, "learn: " + str(kv.whole));
      if (!src) return Error{src.error()};
      Spec spec;
      spec.dst_type = Spec::Dst::kOutput;
      spec.src = *src;
      spec.n_bits = src->n_bits;
      learn.specs.push_back(std::move(spec));
    } else if (kv.delim == '(' || !find_field(key.substr(0, key.find('[')))) {
      return make_error("learn: unknown keyword " + quoted(key));
    } else {
      auto spec = match_spec(kv, ports);
      if (!spec) return Error{spec.error()};
      learn.specs.push_back(std::move(*spec));
    }
    if (!st) return Error{st.error()};
  }
  learn.learn2_form = learn.limit != 0 || (learn.flags & 4);
  return learn;
}

}  // namespace flowpath::openflow
