"""Feedback functions for the exercises: each chapter module checks a student answer."""
