"""Crypto exchanges through ccxt: an exchange opened by name (and pointed at another base URL
for testnets, proxies and tests), its history fetched into the store."""
