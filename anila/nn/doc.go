// Package nn holds the energy networks: layers over flat row-major slices, with batched
// forward passes, gradients with respect to the input and to the parameters, in float32 and
// float64 from one generic implementation.
//
// Files: float.go (the element types and the BLAS calls), layer.go (the Layer and
// ScratchLayer interfaces), spec.go (layers as data: LayerSpec, whose JSON object holds a
// layer type's settings, and the registry of layer types with their torch.nn names and
// arguments, LayerType and LayerArg), one file per layer type with its registration:
// linear.go, activation.go (LeakyReLU with its slope, ELU with its alpha, SiLU, Tanh,
// Softplus, GELU), conv.go (Conv2d, NCHW), avgpool.go, flatten.go, residual.go (a block with
// body and shortcut nets); spectral.go (spectral normalisation of a linear or conv layer),
// winograd.go (Winograd 3×3 convolutions, off), net.go (a sequence of layers and its
// Workspace), standardize.go (a net's fixed input standardisation), mlp.go (the MLP
// constructor), arch.go (saveable architecture descriptions: mlp, convnet, vanilla, layers),
// energy.go (NetEnergy: a net with
// parameters as a sampler.Energy, spread over the cores by chains), classifier.go (nets with
// several outputs trained by softmax cross-entropy; the FID feature net), fastexp.go (float32
// exp), and for the cblas build tag blas_openblas.go (Sgemm and Dgemm in the OpenBLAS of the
// PyPI package scipy-openblas32, through cgo) and kernels_c.go with kernels.c and
// kernels_body.h (vectorised float32 activations, im2col and col2im, in AVX2 and baseline
// copies chosen at run time).
//
// Parameters of a net live in one flat vector: the layers' parameters in layer order, and
// within a Linear layer the weight (out×in, row-major, as PyTorch stores it) then the bias.
// Nothing allocates per forward or backward once a Workspace exists.
package nn
