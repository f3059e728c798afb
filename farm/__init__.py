"""The farm: turns sessions in the state store into supervised browsers, one per room."""
