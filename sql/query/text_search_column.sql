coalesce(CAST({column} AS VARCHAR), '')
