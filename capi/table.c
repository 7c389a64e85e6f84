// The addresses of capi's //export functions, in the order of exportNames in export.go.
// gopy's link step hides these symbols, so Python reaches them through ExportTable.
#include <stdint.h>
#include "_cgo_export.h"

static void *const anila_table[] = {
	(void *)anila_set_data,
	(void *)anila_energy,
	(void *)anila_params,
	(void *)anila_history,
	(void *)anila_chains_positions,
	(void *)anila_toy,
	(void *)anila_mmd,
	(void *)anila_chains_step_fixed,
	(void *)anila_train_step,
	(void *)anila_param_grad,
	(void *)anila_images_copy,
	(void *)anila_sliced_wasserstein,
	(void *)anila_chain_diagnostics,
	(void *)anila_featurenet_train,
	(void *)anila_featurenet_eval,
	(void *)anila_featurenet_features,
	(void *)anila_fid,
	(void *)anila_frechet,
};

long long anila_export_count(void) { return (long long)(sizeof(anila_table) / sizeof(anila_table[0])); }

void anila_export_table(uintptr_t *out, long long n) {
	for (long long i = 0; i < n && i < anila_export_count(); i++) out[i] = (uintptr_t)anila_table[i];
}
