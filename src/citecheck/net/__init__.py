"""The shared HTTP layer every network stage uses: bounded exchanges, politeness, the address guard."""
