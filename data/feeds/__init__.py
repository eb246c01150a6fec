"""Live feeds: the port every feed kind offers the live session (`port`), the registry of
kinds (`kinds`), the thread that runs a tick source on the clock (`thread`), the simulated
market, the replay of stored bars, the socket feed and its line protocol."""
