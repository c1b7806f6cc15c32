// The legacy stream generator lives here (being written).
