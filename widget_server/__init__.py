"""Partnerkreis widget server: cross-referral widgets for networks of small businesses."""

__version__ = "0.1.0"
