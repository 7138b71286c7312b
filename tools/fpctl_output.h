// How fpctl prints what flowpathd answers: with --format json the result as
// JSON (the layout of nlohmann's dump(2)), else as text. A result that is a
// list (a dump) is printed element by element as it arrives, so that fpctl's
// memory stays that of one element however long the list.
#pragma once

#include <cstdio>
#include <functional>
#include <string>

#include "control/jsonrpc.h"
#include "fpctl_dpctl.h"

namespace flowpath::fpctl {

// Prints a JSON array one element at a time, laid out as dump(2) would.
class JsonArrayPrinter {
 public:
  void add(const control::Json& element);
  void finish();  // the closing bracket and a newline

 private:
  bool first_ = true;
};

// Calls `method`, whose result is a list, on a connection of its own and
// prints each element as it arrives: as one JSON array with --format json,
// else through `text`. On failure prints "fpctl: REASON" and returns false.
bool print_list(const GlobalOptions& options, const std::string& method,
                const control::Json& params, const std::function<void(const control::Json&)>& text);

}  // namespace flowpath::fpctl
