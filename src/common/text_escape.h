// Escaping of text that came from outside before it reaches a log: a client
// could otherwise end a log line early and forge the next one, or send
// terminal escape sequences to whoever reads the log.
#pragma once

#include <string>
#include <string_view>

namespace flowpath {

// Appends `text` to `out` with every control character escaped: \n, \r and
// \t by name, the other C0 characters, DEL and the C1 controls (U+0080 to
// U+009F, as UTF-8) as \xHH per byte. Everything else, backslashes included
// (JSON in a log stays readable), is copied as it is: the text cannot end
// its line or move the cursor.
template <typename Buffer>
void append_escaped(Buffer& out, std::string_view text) {
  static const char kHex[] = "0123456789abcdef";
  auto put = [&out](std::string_view s) { out.append(s.data(), s.data() + s.size()); };
  size_t plain = 0;  // start of the run copied as it is
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    bool c1 = c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
              static_cast<unsigned char>(text[i + 1]) <= 0x9f;
    if (c >= 0x20 && c != 0x7f && !c1) continue;
    put(text.substr(plain, i - plain));
    switch (c) {
      case '\n': put("\\n"); break;
      case '\r': put("\\r"); break;
      case '\t': put("\\t"); break;
      default: {
        size_t bytes = c1 ? 2 : 1;
        for (size_t k = 0; k < bytes; ++k) {
          auto b = static_cast<unsigned char>(text[i + k]);
          const char escaped[4] = {'\\', 'x', kHex[b >> 4], kHex[b & 0xf]};
          put(std::string_view(escaped, 4));
        }
        i += bytes - 1;
      }
    }
    plain = i + 1;
  }
  put(text.substr(plain));
}

// True if append_escaped() would change `text`.
inline bool needs_escaping(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) return true;
    if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(text[i + 1]) <= 0x9f)
      return true;
  }
  return false;
}

inline std::string escape_control_characters(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_escaped(out, text);
  return out;
}

}  // namespace flowpath
