"""Where curator keeps things: atomic saves, the `.curator/` workspace database, the edit journal, the lock."""
