"""The tourism context: a visitor's trip itemised on cited factors (the tourist carbon-neutral bill,
游客碳中和账单), and its compensation by allocating grams of whole-tonne retirements from a pool."""
