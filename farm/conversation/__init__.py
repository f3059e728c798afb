"""The conversation: what a room's avatar is told (its context, the summary after a pause), how students' words are
treated (data, never instructions), and the transcript reconciled with LiveAvatar's own."""
