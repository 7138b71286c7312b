#include "ovsdb/replica.h"

namespace flowpath::ovsdb {

namespace {

// Checks the shape of table-updates before anything is changed, so a bad
// update leaves the replica as it was.
Status check_updates(const Json& table_updates) {
  if (!table_updates.is_object())
    return make_error("table-updates is not an object: " + describe(table_updates));
  for (const auto& [table, rows] : table_updates.items()) {
    if (!rows.is_object())
      return make_error("table " + table + ": row updates are not an object: " + describe(rows));
    for (const auto& [uuid, update] : rows.items()) {
      const std::string where = "table " + table + " row " + uuid + ": ";
      if (!is_uuid_text(uuid)) return make_error("table " + table + ": \"" + uuid + "\" is not a UUID");
      if (!update.is_object()) return make_error(where + "row update is not an object");
      auto old_row = update.find("old");
      auto new_row = update.find("new");
      if (old_row == update.end() && new_row == update.end())
        return make_error(where + "row update has neither \"old\" nor \"new\"");
      if (old_row != update.end() && !old_row->is_object())
        return make_error(where + "\"old\" is not an object: " + describe(*old_row));
      if (new_row != update.end() && !new_row->is_object())
        return make_error(where + "\"new\" is not an object: " + describe(*new_row));
      for (const auto& [key, value] : update.items())
        if (key != "old" && key != "new")
          return make_error(where + "unexpected member \"" + key + "\" in a row update");
    }
  }
  return Ok{};
}

}  // namespace

Status Replica::reset(const Json& table_updates) {
  TRY_STATUS(check_updates(table_updates));
  tables_.clear();
  return apply(table_updates);
}

Status Replica::apply(const Json& table_updates) {
  TRY_STATUS(check_updates(table_updates));
  for (const auto& [table_name, rows] : table_updates.items()) {
    Table& table = tables_[table_name];
    for (const auto& [uuid, update] : rows.items()) {
      auto new_row = update.find("new");
      if (new_row == update.end()) {
        table.erase(uuid);
        continue;
      }
      // "new" carries every monitored column of the row (RFC 7047): replace.
      table[uuid] = *new_row;
    }
  }
  return Ok{};
}

const Table& Replica::table(const std::string& name) const {
  static const Table kEmpty;
  auto it = tables_.find(name);
  return it == tables_.end() ? kEmpty : it->second;
}

const Row* Replica::row(const std::string& table_name, const std::string& uuid) const {
  const Table& t = table(table_name);
  auto it = t.find(uuid);
  return it == t.end() ? nullptr : &it->second;
}

const Json& Replica::column(const Row& row, const std::string& name) {
  static const Json kEmptySet = Json::array({"set", Json::array()});
  auto it = row.find(name);
  return it == row.end() ? kEmptySet : *it;
}

}  // namespace flowpath::ovsdb
