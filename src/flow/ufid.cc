#include "flow/ufid.h"

#include <cstdio>
#include <cstring>

namespace flowpath {

namespace {

constexpr std::string_view kPrefix = "ufid:";
// Positions of the dashes in the 36-character body.
constexpr size_t kDashes[] = {8, 13, 18, 23};
constexpr size_t kBodyLength = 36;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_dash_position(size_t i) {
  for (size_t d : kDashes)
    if (i == d) return true;
  return false;
}

std::string quoted(std::string_view text) {
  constexpr size_t kMaxShown = 60;
  std::string s = "\"";
  s.append(text.substr(0, kMaxShown));
  if (text.size() > kMaxShown) s += "...";
  s += "\"";
  return s;
}

Error malformed(std::string_view text, const std::string& why) {
  return make_error("invalid ufid " + quoted(text) + ": " + why +
                    " (expected ufid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
}

// Multiplies to 128 bits and folds the halves together: the mixing step of
// the 128-bit hash below. Two independent 64-bit lanes with different
// constants give the 128 bits.
inline uint64_t fold_multiply(uint64_t a, uint64_t b) {
  unsigned __int128 product = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
}

constexpr uint64_t kLaneSeed[2] = {0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL};
constexpr uint64_t kLaneKey[2] = {0xa0761d6478bd642fULL, 0xe7037ed1a0b428dbULL};
constexpr uint64_t kLaneFinal[2] = {0x8ebc6af09c88c6e3ULL, 0x589965cc75374cc3ULL};

}  // namespace

Result<size_t> Ufid::parse_prefix(std::string_view text, Ufid* out) {
  if (text.substr(0, kPrefix.size()) != kPrefix) return size_t{0};
  std::string_view body = text.substr(kPrefix.size());
  if (body.size() < kBodyLength)
    return malformed(
        text, "only " + std::to_string(body.size()) + " characters after \"ufid:\", need 36");
  Ufid ufid;
  int nibble = 0;  // of the 32 hex digits
  for (size_t i = 0; i < kBodyLength; ++i) {
    char c = body[i];
    if (is_dash_position(i)) {
      if (c != '-')
        return malformed(text, "expected '-' at offset " + std::to_string(kPrefix.size() + i));
      continue;
    }
    int v = hex_value(c);
    if (v < 0)
      return malformed(text, std::string("'") + c + "' at offset " +
                                 std::to_string(kPrefix.size() + i) + " is not a hex digit");
    ufid.words[nibble / 8] = (ufid.words[nibble / 8] << 4) | static_cast<uint32_t>(v);
    ++nibble;
  }
  *out = ufid;
  return kPrefix.size() + kBodyLength;
}

Result<Ufid> Ufid::parse(std::string_view text) {
  Ufid ufid;
  Result<size_t> used = parse_prefix(text, &ufid);
  if (!used) return make_error(used.error());
  if (*used == 0) return malformed(text, "missing \"ufid:\" prefix");
  if (*used != text.size())
    return malformed(text,
                     "unexpected text after the identifier at offset " + std::to_string(*used));
  return ufid;
}

Ufid Ufid::from_match(const Match& match) {
  const uint64_t* key = match.key.words();
  const uint64_t* mask = match.mask.bits.words();
  uint64_t lane[2] = {kLaneSeed[0], kLaneSeed[1]};
  for (size_t i = 0; i < FlowKey::kWords; ++i) {
    uint64_t m = mask[i];
    uint64_t k = key[i] & m;  // normalised whatever the caller passed
    for (int l = 0; l < 2; ++l) lane[l] = fold_multiply(k ^ kLaneKey[l], m ^ lane[l]);
  }
  Ufid ufid;
  for (int l = 0; l < 2; ++l) {
    uint64_t h = fold_multiply(lane[l] ^ kLaneFinal[l], FlowKey::kWords ^ kLaneKey[l]);
    h = fold_multiply(h ^ kLaneSeed[l], kLaneFinal[l]);
    ufid.words[2 * l] = static_cast<uint32_t>(h);
    ufid.words[2 * l + 1] = static_cast<uint32_t>(h >> 32);
  }
  return ufid;
}

std::array<uint8_t, 16> Ufid::to_bytes() const {
  std::array<uint8_t, 16> bytes;
  std::memcpy(bytes.data(), words, sizeof words);
  return bytes;
}

Ufid Ufid::from_bytes(const uint8_t bytes[16]) {
  Ufid ufid;
  std::memcpy(ufid.words, bytes, sizeof ufid.words);
  return ufid;
}

std::string Ufid::to_string() const {
  char text[kTextLength + 1];
  std::snprintf(text, sizeof text, "ufid:%08x-%04x-%04x-%04x-%04x%08x", words[0], words[1] >> 16,
                words[1] & 0xffff, words[2] >> 16, words[2] & 0xffff, words[3]);
  return text;
}

uint32_t Ufid::hash() const {
  uint64_t lo = (uint64_t{words[1]} << 32) | words[0];
  uint64_t hi = (uint64_t{words[3]} << 32) | words[2];
  uint64_t h = fold_multiply(lo ^ kLaneKey[0], hi ^ kLaneKey[1]);
  return static_cast<uint32_t>(h ^ (h >> 32));
}

}  // namespace flowpath
