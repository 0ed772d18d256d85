"""Who is calling and what they may do: credentials, principals, the policy seam, addresses."""
