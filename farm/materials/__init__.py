"""Course materials: uploaded files read (extraction), cut into passages, kept on disk and indexed (intake), and the
passages one room's avatar should hold (selection)."""
