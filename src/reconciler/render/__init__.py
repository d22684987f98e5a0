"""Renderers: pure functions of a Plan (or apply result) to text. They never read or write."""
