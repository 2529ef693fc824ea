"""The build: source records checked against contracts, staged, mapped, loaded, resolved, reasoned, derived."""
