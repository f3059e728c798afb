"""The room: one RoomRunner per breakout room, its bot attempts (launch, supervision, the avatar sessions they hold),
the recovery policy between attempts, and the typed messages between a bot page and the farm."""
