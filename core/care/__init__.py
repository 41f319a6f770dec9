"""The care work of the notice (R4–R7): screening, plans, pairings, five knowns, five cares."""
