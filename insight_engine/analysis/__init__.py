"""What the book says: health, the signal detectors, the opportunity model, cadence."""
