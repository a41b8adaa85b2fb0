"""Where a team's data comes in: the contract, files and exports read, mapped and validated (and the demo book)."""
