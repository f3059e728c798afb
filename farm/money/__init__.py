"""Money: the session's credit budget, the professor's monthly allowance, and the LiveAvatar leftovers cleared when a
session ends."""
