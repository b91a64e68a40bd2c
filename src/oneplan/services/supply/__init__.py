"""The supply plan: what machines, labour and suppliers can make, and the MPS it releases."""
