"""Local stand-ins for Zoom and LiveAvatar with the real services' wire behaviour (never imported by the product)."""
