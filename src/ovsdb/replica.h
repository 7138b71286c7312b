// A local copy of the monitored tables, kept by the "update" notifications
// of an OVSDB monitor (RFC 7047 section 4.1.6): table -> row UUID -> the
// columns the monitor asked for. An update that does not decode changes
// nothing and names the table, row and what was wrong.
#pragma once

#include <map>
#include <string>

#include "common/result.h"
#include "ovsdb/datum.h"

namespace flowpath::ovsdb {

using Row = Json;  // an object: column -> datum
using Table = std::map<std::string, Row>;  // by UUID

class Replica {
 public:
  // Replaces the whole content with the monitor reply's initial rows.
  Status reset(const Json& table_updates);
  // Applies the table-updates of an "update" notification: a row with "new"
  // is inserted or modified (the changed columns), one with only "old" is
  // deleted.
  Status apply(const Json& table_updates);
  void clear() { tables_.clear(); }

  const Table& table(const std::string& name) const;
  const Row* row(const std::string& table, const std::string& uuid) const;
  // The datum of `column` in `row`, or the empty set when the row lacks it
  // (every monitored column has a value in OVSDB; "absent" means the peer
  // sent a partial row, which we read as the column's default).
  static const Json& column(const Row& row, const std::string& column);

 private:
  std::map<std::string, Table> tables_;
};

}  // namespace flowpath::ovsdb
