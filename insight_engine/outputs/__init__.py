"""What people read: drafts, charts, prep, packs, exports and the views the pages show."""
