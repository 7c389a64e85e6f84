// The data-plane functions: each //export function of export.go, once, with its name. This
// is the one list of them: ExportNames and ExportTable read it, Python binds each address by
// the name next to it, and capi's tests check it against the //export lines of export.go.
// gopy's link step hides these symbols, so Python reaches them through ExportTable.
#include <stdint.h>
#include "_cgo_export.h"

#define ANILA_ENTRY(f) {#f, (void *)f}

static const struct {
	const char *name;
	void *fn;
} anila_table[] = {
	ANILA_ENTRY(anila_set_data),
	ANILA_ENTRY(anila_energy),
	ANILA_ENTRY(anila_params),
	ANILA_ENTRY(anila_history),
	ANILA_ENTRY(anila_chains_positions),
	ANILA_ENTRY(anila_chains_mask),
	ANILA_ENTRY(anila_chains_trace),
	ANILA_ENTRY(anila_toy),
	ANILA_ENTRY(anila_mmd),
	ANILA_ENTRY(anila_chains_step_fixed),
	ANILA_ENTRY(anila_train_step),
	ANILA_ENTRY(anila_param_grad),
	ANILA_ENTRY(anila_images_copy),
	ANILA_ENTRY(anila_sliced_wasserstein),
	ANILA_ENTRY(anila_chain_diagnostics),
	ANILA_ENTRY(anila_featurenet_train),
	ANILA_ENTRY(anila_featurenet_eval),
	ANILA_ENTRY(anila_featurenet_features),
	ANILA_ENTRY(anila_fid),
	ANILA_ENTRY(anila_frechet),
	ANILA_ENTRY(anila_data_summary),
	ANILA_ENTRY(anila_ais_new),
};

long long anila_export_count(void) { return (long long)(sizeof(anila_table) / sizeof(anila_table[0])); }

const char *anila_export_name(long long i) {
	return i >= 0 && i < anila_export_count() ? anila_table[i].name : "";
}

void anila_export_table(uintptr_t *out, long long n) {
	for (long long i = 0; i < n && i < anila_export_count(); i++) out[i] = (uintptr_t)anila_table[i].fn;
}
