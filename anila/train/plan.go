package train

// Plan is what a run was asked to do beyond its Config, as anila/run resolved it: the
// settings by which the run is described and continued that the trainer itself does not
// use. Model files keep it in their header, the one copy of a run's settings; where a run
// writes its checkpoints is given by each call that trains, never read from a file.
type Plan struct {
	// Iterations is the run's target iteration count; CheckpointEvery how often it writes
	// its checkpoint (0: only at the end, when it has one).
	Iterations      int `json:"iterations"`
	CheckpointEvery int `json:"checkpoint_every,omitempty"`
	// DataSHA256 fingerprints the training data (shape, dtype and values) of a checkpointed
	// run, so that resuming can check it is given the same data.
	DataSHA256 string `json:"data_sha256,omitempty"`
	// Seed is the run's seed (Config.Seed is this rank's stream); Ranks and Rank place a
	// data-parallel rank's trainer (Ranks 0 or 1: one process). BufferSize is the run's whole
	// replay buffer (Config.BufferSize is this rank's share).
	Seed       uint64 `json:"seed"`
	Ranks      int    `json:"ranks,omitempty"`
	Rank       int    `json:"rank,omitempty"`
	BufferSize int    `json:"buffer_size,omitempty"`
	// Clamp and NoiseBox are the box settings as given ("auto", "data", "central", null or
	// a pair); Config holds the boxes they resolved to.
	Clamp    any `json:"clamp"`
	NoiseBox any `json:"noise_box"`
	// JumpWidth is the jump's width in units of the data's standard deviation
	// (Config.JumpWidth holds it in data units, per coordinate).
	JumpWidth float64 `json:"jump_width"`
	// Standardize is the standardize setting as given (only the MLP acts on it).
	Standardize bool `json:"standardize"`
}
