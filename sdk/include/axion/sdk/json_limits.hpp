// Limits checked on untrusted JSON text *before* it is parsed. nlohmann's parser is iterative,
// but copying, dumping or rendering a parsed value recurses once per nesting level, so a small
// body of 100k '[' would overflow the stack of whoever touches it later. This scanner walks the
// text once without recursion (strings and their escapes are skipped, so brackets inside
// strings do not count) and stops at the first level past the limit. It does not validate the
// JSON: the parser still does that, afterwards.
#pragma once

#include <cstddef>
#include <string_view>

namespace axion::sdk {

// Nesting depth any JSON the project accepts from a client may have.
inline constexpr std::size_t kMaxJsonDepth = 64;

// True when no array or object in `text` is nested deeper than `max_depth` levels.
inline bool json_depth_within(std::string_view text, std::size_t max_depth = kMaxJsonDepth) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;  // the escaped character cannot end the string
      else if (c == '"') in_string = false;
      continue;
    }
    switch (c) {
      case '"': in_string = true; break;
      case '[':
      case '{':
        if (++depth > max_depth) return false;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;  // unbalanced text is the parser's error to report
        break;
      default: break;
    }
  }
  return true;
}

}  // namespace axion::sdk
