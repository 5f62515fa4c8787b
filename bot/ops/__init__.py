"""Operations: settings, the store, the runner (polling or webhook), health, metrics and logs."""
