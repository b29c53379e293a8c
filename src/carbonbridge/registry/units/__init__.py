"""Unit movements of the registry: transfer, retirement, cancellation (singly, in a batch, or
grouped under load by the group commit), reversals, exports to another registry and expiry."""
