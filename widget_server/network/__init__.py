"""The network's service functions and what they own: members, themes, keys, rules."""
