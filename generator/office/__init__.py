"""The office database: reference sequences, the journal of register changes, accounts, drafts, audit."""
