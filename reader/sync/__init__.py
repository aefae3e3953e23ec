"""Server accounts (Google Reader API: FreshRSS, Miniflux, ...): the client, the accounts'
files, the journal of local changes, and syncing. Never imports Textual."""
