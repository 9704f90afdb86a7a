"""Login security: TOTP second factor, login throttling hooks, security headers, idle timeout."""
