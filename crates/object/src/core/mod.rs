//! CO-RE.
