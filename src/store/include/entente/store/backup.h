// Backup and restore of a store, whichever backend holds it.
//
// SQLite: the online backup API copies a consistent snapshot while writers continue (pages
// changed during the copy are copied again), then the texts the snapshot keeps in the store's
// text file are moved into the copy; the result is one self-contained store file.
// PostgreSQL: pg_dump (custom format) of the store's schema only, in one snapshot; restored
// with pg_restore into a database where that schema does not exist yet. pg_dump and
// pg_restore come from the PostgreSQL client package (PATH); credentials as for the store
// (~/.pgpass, PGPASSWORD, the URL). Neither the URL nor the password is printed.
#pragma once

#include <string>

#include "entente/base/status.h"

namespace entente::store {

// Writes a backup of the store at `url` into the existing directory `dest_dir`; returns the
// name of the file written there ("store.db" or "store.pgdump"). IoError when the copy or
// the tool fails, Unavailable when the server cannot be reached.
Result<std::string> BackupStore(const std::string& url, const std::string& dest_dir);

// Restores `backup_file` (as written by BackupStore) to the store at `url`: SQLite: the
// file must not exist yet (AlreadyExists); PostgreSQL: the schema in the dump must not exist
// in the target database (pg_restore fails otherwise, and leaves nothing half-restored
// because it runs as one transaction). The restored store is opened and checked.
Status RestoreStore(const std::string& backup_file, const std::string& url);

}  // namespace entente::store
