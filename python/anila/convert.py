"""torch modules as anila layer specs, by graph capture.

    specs, weights = anila.convert.layers_of(module)
    model = anila.new_model(dim, energy="layers", layers=specs, dtype="float64")
    model.set_parameters(weights)
    model.set_spectral_state(anila.convert.spectral_state(module))  # if it has spectral_norm layers

`layers_of` traces the module's forward with torch.fx and reads its graph:

- calls of submodules of the layer types anila's Go core registers (`anila.nn.layer_types()`:
  Linear, Conv2d, AvgPool2d, Flatten, LeakyReLU, ELU, ...), with the settings anila supports
  (a setting anila takes at one value only must have it; Linear and Conv2d may carry
  torch.nn.utils.parametrizations.spectral_norm with its defaults);
- the same activations written as functions: F.leaky_relu(x, 0.2), F.silu, F.elu,
  F.softplus, F.gelu, torch.tanh / F.tanh / x.tanh();
- flattening: torch.flatten(x, 1), x.flatten(1), x.view(x.size(0), -1) or
  x.reshape(x.shape[0], -1);
- additions (x + y, torch.add, x.add(y)) of two branches that split from one node: a residual
  block {"type": "residual", "body": [...], "shortcut": [...]}, the longer branch its body and
  the identity its shortcut when one branch is the split node itself;
- a trailing squeeze(), squeeze(-1), view(-1) or reshape(-1) of the (n, 1) energy.

Anything else (another function, a constant, a module called twice, a value used by two
branches that are not added, a forward that cannot be traced) is a TypeError naming the first
node it cannot read, with its op, its target and the source line fx recorded. Sequentials,
residual blocks of any names and anila's own PyTorch twins (`Model.to_torch()`) convert.

Weights come in anila's order: the layers in the order of the specs, a residual block's body
layers before its shortcut's, and per layer the weight (unnormalised under spectral_norm) then
the bias. torch is imported lazily; this module needs nothing from anila but `anila.nn`.
"""

from __future__ import annotations

import linecache
import operator
import re

import numpy as np

from .nn import _scalar, layer_types

__all__ = ["layers_of", "spectral_state"]


def layers_of(module) -> tuple[list, np.ndarray]:
    """(layer specs, flat weights) of a torch module built from layers anila supports: the
    specs as `anila.nn.Sequential(...).specs()` gives them, the weights as one float vector in
    anila's order (`Model.set_parameters`). Raises TypeError naming what it cannot read."""
    specs, leaves = _convert(module)
    parts = [p.detach().cpu().numpy().ravel() for leaf in leaves for p in leaf_params(leaf)]
    return specs, (np.concatenate(parts) if parts else np.zeros(0))


def spectral_state(module) -> np.ndarray:
    """The u and v vectors of a module's spectrally normalised layers in anila's order (as
    `Model.spectral_state()` gives them), float64; empty when it has none."""
    parts = []
    for leaf in layer_modules(module):
        sn = spectral(leaf)
        if sn is not None:
            parts += [sn._u.detach().double().cpu().numpy(), sn._v.detach().double().cpu().numpy()]
    return np.concatenate(parts) if parts else np.zeros(0)


def layer_modules(module) -> list:
    """The layer modules of a convertible module in anila's order (the order of
    `layers_of`'s specs and weights), activations written as functions left out."""
    return [leaf for leaf in _convert(module, ordering_only=True)[1] if leaf is not None]


# --- a layer module's parts ----------------------------------------------------------------

def weight(mod):
    """A layer's raw weight: the parametrization's original for a spectrally normalised one."""
    from torch.nn.utils import parametrize

    if parametrize.is_parametrized(mod, "weight"):
        return mod.parametrizations.weight.original
    return mod.weight


def leaf_params(leaf) -> list:
    """A layer's parameters in anila's order: the weight (unnormalised), then the bias if any."""
    import torch

    if leaf is None or (not isinstance(getattr(leaf, "weight", None), torch.Tensor)
                        and not hasattr(leaf, "parametrizations")):
        return []
    out = [weight(leaf)]
    if getattr(leaf, "bias", None) is not None:
        out.append(leaf.bias)
    return out


def spectral(mod):
    """The spectral_norm parametrization of a layer, or None."""
    from torch.nn.utils import parametrize

    if mod is None or not parametrize.is_parametrized(mod, "weight"):
        return None
    return mod.parametrizations.weight[0]


# --- the graph -----------------------------------------------------------------------------

def _torch():
    try:
        import torch
        import torch.fx  # noqa: F401
    except ImportError:
        raise ImportError("anila.convert needs PyTorch: pip install 'anila[torch]'") from None
    return torch


def _by_class() -> dict:
    """The registered layer types by torch.nn class name (nested ones left out)."""
    return {info["torch"]: info for info in layer_types().values() if not info.get("nested")}


def _layer_info(mod):
    """The registered layer type of a module that is exactly that torch.nn class (or its
    spectral_norm parametrization), or None: a user's subclass may have its own forward."""
    import torch

    base = type(mod).__mro__[1] if hasattr(mod, "parametrizations") else type(mod)
    info = _by_class().get(base.__name__)
    if info is None or base is not getattr(torch.nn, base.__name__, None):
        return None
    return info


def _functions(torch) -> dict:
    """Functions (call_function targets) that are one anila layer: {function: (torch.nn
    class, its arguments after the input in order, defaults that differ from the class's)}."""
    F = torch.nn.functional
    return {
        F.leaky_relu: ("LeakyReLU", ("negative_slope", "inplace"), {}),
        F.silu: ("SiLU", ("inplace",), {}),
        F.elu: ("ELU", ("alpha", "inplace"), {}),
        F.softplus: ("Softplus", ("beta", "threshold"), {}),
        F.gelu: ("GELU", ("approximate",), {}),
        F.tanh: ("Tanh", (), {}),
        torch.tanh: ("Tanh", (), {}),
        torch.flatten: ("Flatten", ("start_dim", "end_dim"), {"start_dim": 0}),
    }


# Tensor methods (call_method targets) that are one anila layer, as _functions.
_METHODS = {"tanh": ("Tanh", (), {}), "flatten": ("Flatten", ("start_dim", "end_dim"), {"start_dim": 0})}
_ADDS = (operator.add, operator.iadd)


def _tracer(torch):
    """torch.fx's Tracer with the registered layer modules as leaves and stack traces on."""

    class Tracer(torch.fx.Tracer):
        def is_leaf_module(self, m, qualname):  # noqa: D102
            if _layer_info(m) is not None or hasattr(m, "weight_orig"):
                return True
            return super().is_leaf_module(m, qualname)

    t = Tracer()
    t.record_stack_traces = True
    return t


def _where(node) -> str:
    """The node's op and target, and the source line fx recorded for it."""
    target = node.target
    if callable(target):
        mod = getattr(target, "__module__", None) or ""
        name = getattr(target, "__name__", None) or repr(target)
        if mod in ("_operator", "operator"):
            mod = "operator"
        elif "_VariableFunctions" in (getattr(target, "__qualname__", None) or "") or mod.startswith("torch._C"):
            mod = "torch"
        target = f"{mod}.{name}" if mod and mod != "builtins" else name
    out = f"{node.op} {target}"
    line = _source_line(node)
    return f"{out} ({line})" if line else out


def _source_line(node) -> str:
    """'file:line: code' of the user frame in the node's stack trace, or ''."""
    st = node.meta.get("stack_trace") or getattr(node, "stack_trace", None) or ""
    frames = re.findall(r'File "([^"]+)", line (\d+), in (\S+)', st)
    user = [f for f in frames if "/torch/" not in f[0] and "/anila/convert.py" not in f[0]]
    if not user:
        return ""
    path, line, _ = user[-1]
    code = linecache.getline(path, int(line)).strip()
    return f"{path}:{line}: {code}" if code else f"{path}:{line}"


def _node_args(node, names, defaults):
    """The non-tensor arguments of a call (positional after the input, then keywords) by name."""
    import torch.fx

    given = dict(defaults)
    rest = node.args[1:]
    if len(rest) > len(names):
        raise _unsupported(node, "takes more arguments than anila reads")
    given.update(zip(names, rest))
    for k, v in node.kwargs.items():
        if k not in names:
            raise _unsupported(node, f"has an argument {k!r} anila does not read")
        given[k] = v
    if any(isinstance(v, torch.fx.Node) for v in given.values()):
        raise _unsupported(node, "has an argument computed in the forward; anila needs constants")
    given.pop("inplace", None)
    return given


def _unsupported(node, why="is not supported by anila") -> TypeError:
    return TypeError(f"node {node.name} ({_where(node)}) {why}")


class _Converter:
    """The specs of a traced graph: a chain of layers and residual blocks from the input."""

    def __init__(self, torch, gm, graph):
        self.torch, self.gm, self.graph = torch, gm, graph
        self.functions = _functions(torch)
        self.nodes = list(graph.nodes)
        self.uses = {n: 0 for n in self.nodes}
        for n in self.nodes:
            for a in _flat_args(n):
                self.uses[a] += 1
        self.consumed = {n: 0 for n in self.nodes}
        self.done = set()
        self.split_of = {}
        self.layers = {}  # node -> (spec, module or None, input node)
        self.modules_seen = {}

    # first pass: every node, in graph order, must be something anila reads
    def classify(self):
        inputs = [n for n in self.nodes if n.op == "placeholder"]
        if len(inputs) != 1:
            raise TypeError(f"the forward takes {len(inputs)} inputs ({', '.join(n.name for n in inputs)}); anila "
                            "needs one, x")
        self.input = inputs[0]
        for n in self.nodes:
            if n.op in ("placeholder", "output"):
                continue
            if self._is_add(n) or self._is_aux(n) or self._is_tail(n):
                continue
            layer = self._layer(n)
            if layer is None:
                raise _unsupported(n)
            self.layers[n] = layer

    def _is_add(self, n):
        fx = self.torch.fx
        if n.op == "call_function" and (n.target in _ADDS or n.target is self.torch.add):
            ok = n.target is not self.torch.add or n.kwargs.get("alpha", 1) == 1
        elif n.op == "call_method" and n.target in ("add", "add_"):
            ok = n.kwargs.get("alpha", 1) == 1
        else:
            return False
        if not ok or len(n.args) != 2 or not all(isinstance(a, fx.Node) for a in n.args):
            raise _unsupported(n, "adds something other than two tensors computed from the input")
        return True

    def _is_aux(self, n):
        """x.size(0), x.size(), x.shape, x.shape[0]: read only as the batch size of a
        flattening view (which checks that)."""
        if n.op == "call_method" and n.target == "size" and n.args[1:] in ((0,), ()) and not n.kwargs:
            return True
        if n.op == "call_function" and n.target is getattr and n.args[1:] == ("shape",):
            return True
        return (n.op == "call_function" and n.target is operator.getitem and n.args[1:] == (0,)
                and isinstance(n.args[0], self.torch.fx.Node) and n.args[0].op != "placeholder"
                and self._is_aux(n.args[0]))

    def _batch_size(self, n):
        """Whether node n is the batch size: h.size(0) or h.shape[0] (also h.size()[0]) of
        any tensor h of the forward, all of which have the batch first."""
        fx = self.torch.fx
        if not isinstance(n, fx.Node):
            return False
        if n.op == "call_method" and n.target == "size" and n.args[1:] == (0,):
            return True
        if n.op == "call_function" and n.target is operator.getitem and n.args[1:] == (0,):
            s = n.args[0]
            return isinstance(s, fx.Node) and (
                (s.op == "call_function" and s.target is getattr and s.args[1:] == ("shape",))
                or (s.op == "call_method" and s.target == "size" and s.args[1:] == ()))
        return False

    def _is_tail(self, n):
        """A squeeze or view(-1) of the last layer's (n, 1) output, just before the output."""
        if not (n.op == "call_method" and n.target in ("squeeze", "view", "reshape", "flatten")):
            return False
        users = list(n.users)
        if len(users) != 1 or users[0].op != "output":
            return False
        args = n.args[1:]
        if n.target == "squeeze":
            return args in ((), (-1,), (1,)) and not n.kwargs
        if n.target == "flatten":
            return args in ((), (0,)) and not n.kwargs
        return args in ((-1,), ((-1,),)) and not n.kwargs

    def _layer(self, n):
        """(spec, layer module or None, input node) of a node that is one layer, or None."""
        torch, fx = self.torch, self.torch.fx
        if n.op == "call_module":
            mod = self.gm.get_submodule(n.target)
            if len(n.args) != 1 or n.kwargs or not isinstance(n.args[0], fx.Node):
                raise _unsupported(n, "is called with more than one input")
            info = _layer_info(mod)
            if info is None and not hasattr(mod, "weight_orig"):
                raise TypeError(f"submodule {n.target} ({type(mod).__name__}) is not supported by anila; supported: "
                                f"{', '.join(sorted(_by_class()))}, Sequential, residual additions "
                                f"({_where(n)})")
            if mod in self.modules_seen and leaf_params(mod):  # an activation module may be reused
                raise TypeError(f"submodule {n.target} ({type(mod).__name__}) is called twice (as "
                                f"{self.modules_seen[mod]} and {n.name}); anila gives every call its own weights")
            self.modules_seen[mod] = n.name
            name = info["torch"] if info is not None else type(mod).__name__
            return _module_spec(torch, mod, f"submodule {n.target} ({name})"), mod, n.args[0]
        call = None
        if n.op == "call_function" and n.target in self.functions:
            call = self.functions[n.target]
        elif n.op == "call_method" and n.target in _METHODS:
            call = _METHODS[n.target]
        elif n.op == "call_method" and n.target in ("view", "reshape") and len(n.args) == 3 and n.args[2] == -1 \
                and not n.kwargs and self._batch_size(n.args[1]):
            return {"type": _by_class()["Flatten"]["name"]}, None, n.args[0]
        elif n.op == "call_function" and n.target is torch.reshape and len(n.args) == 2 \
                and isinstance(n.args[1], tuple) and len(n.args[1]) == 2 and n.args[1][1] == -1 \
                and self._batch_size(n.args[1][0]):
            return {"type": _by_class()["Flatten"]["name"]}, None, n.args[0]
        if call is None:
            return None
        if not n.args or not isinstance(n.args[0], fx.Node):
            raise _unsupported(n, "does not take a tensor computed from the input first")
        cls, names, defaults = call
        kwargs = _node_args(n, names, defaults)
        try:
            mod = getattr(torch.nn, cls)(**kwargs)
        except (TypeError, ValueError) as exc:
            raise _unsupported(n, f"has arguments torch.nn.{cls} does not take: {exc}") from None
        return _module_spec(torch, mod, f"node {n.name} ({_where(n)}, as torch.nn.{cls})"), None, n.args[0]

    # second pass: from the output back to the input
    def _consume(self, n):
        self.consumed[n] += 1

    def _pred(self, n):
        """The node a node's value is computed from on its main path (an addition's split)."""
        if n in self.layers:
            return self.layers[n][2]
        if n.op in ("call_function", "call_method") and n.target in _ADDS + (self.torch.add, "add", "add_"):
            return self._split(n)
        return None

    def _spine(self, n):
        out = []
        while n is not None:
            out.append(n)
            n = self._pred(n)
        return out

    def _split(self, n):
        if n not in self.split_of:
            a, b = n.args
            on_a = set(self._spine(a))
            s = next((m for m in self._spine(b) if m in on_a), None)
            if s is None:
                raise _unsupported(n, "adds two values that do not come from one input")
            self.split_of[n] = s
        return self.split_of[n]

    def chain(self, end, stop):
        """(specs, modules) computing node end from node stop."""
        items = []
        n = end
        while n is not stop:
            if n is None or n.op == "placeholder":
                raise TypeError(f"the graph does not reach node {stop.name} ({_where(stop)}) from "
                                f"{end.name} ({_where(end)})")
            if n in self.done:
                raise TypeError(f"node {n.name} ({_where(n)}) feeds two branches that are not added together; anila "
                                "reads chains of layers and residual blocks (y = body(x) + shortcut(x))")
            self.done.add(n)
            if n in self.layers:
                spec, mod, inp = self.layers[n]
                self._consume(inp)
                items.append(([spec], [mod]))
                n = inp
                continue
            if not self._is_add(n):
                raise _unsupported(n)
            s = self._split(n)
            a, b = n.args
            self._consume(a)
            self._consume(b)
            ca, cb = self.chain(a, s), self.chain(b, s)
            if not ca[0] and not cb[0]:
                raise _unsupported(n, "adds the same value twice")
            body, short = (ca, cb) if len(ca[0]) >= len(cb[0]) else (cb, ca)
            spec = {"type": "residual", "body": body[0]}
            if short[0]:
                spec["shortcut"] = short[0]
            items.append(([spec], body[1] + short[1]))
            n = s
        specs, mods = [], []
        for s, m in reversed(items):
            specs += s
            mods += m
        return specs, mods

    def run(self):
        self.classify()
        out = next(n for n in self.nodes if n.op == "output")
        res = out.args[0]
        if not isinstance(res, self.torch.fx.Node):
            raise _unsupported(out, "returns something other than one tensor")
        self._consume(res)
        if self._is_tail(res):
            self.done.add(res)
            res = res.args[0]
            self._consume(res)
        aux = {n for n in self.nodes if n.op not in ("placeholder", "output") and self._is_aux(n)}
        for n in aux:  # x.size(0) and x.shape read x once (its flattening view checks the rest)
            if n.args[0] not in aux:
                self._consume(n.args[0])
        specs, mods = self.chain(res, self.input)
        for n in self.nodes:
            if n.op == "output" or n in aux:
                continue
            if n is not self.input and n not in self.done:
                raise TypeError(f"node {n.name} ({_where(n)}) is not on the path from the input to the output "
                                "through layers and residual additions")
            if self.uses[n] != self.consumed[n]:
                users = ", ".join(u.name for u in n.users)
                raise TypeError(f"node {n.name} ({_where(n)}) is used by {users}, which the layers and residual "
                                "additions anila reads do not account for; anila reads chains of layers and "
                                "residual blocks (y = body(x) + shortcut(x))")
        if not specs:
            raise TypeError("the module computes no layers")
        return specs, mods


def _flat_args(n):
    import torch.fx

    out = []
    torch.fx.node.map_arg((n.args, n.kwargs), out.append)
    return out


def _module_spec(torch, mod, where) -> dict:
    """The spec of one layer module, with the checks of its registration (fixed settings,
    the settings' kinds, spectral_norm's defaults); errors start with `where`."""
    info = _layer_info(mod)
    if hasattr(mod, "weight_orig"):
        raise TypeError(f"{where} uses torch.nn.utils.spectral_norm, which anila does not "
                        "read; use torch.nn.utils.parametrizations.spectral_norm")

    def value(name, v):
        try:
            return _scalar(name, v)  # (k, k) as k
        except ValueError as exc:
            raise TypeError(f"{where}: {exc}") from None

    for k, want in info["fixed"].items():
        got = value(k, getattr(mod, k))
        if got != want:
            raise TypeError(f"{where}: {k}={got!r} is not supported; anila needs {k}={want!r}")
    spec = {"type": info["name"]}
    if hasattr(mod, "parametrizations"):
        sn = spectral(mod)
        if sn is None or type(sn).__name__ != "_SpectralNorm" or len(mod.parametrizations.weight) != 1 \
                or sn.dim != 0 or sn.eps != 1e-12 or not info.get("spectral_norm") or len(mod.parametrizations) != 1:
            raise TypeError(f"{where} has a parametrization anila does not support; it "
                            "supports torch.nn.utils.parametrizations.spectral_norm(module) with its defaults")
        spec["spectral_norm"] = True
    for a in info["args"]:
        v = getattr(mod, a["torch"])
        if a["kind"] == "bool":
            if isinstance(v, torch.Tensor) or v is None:  # a parameter such as bias: present or None
                v = v is not None
            if bool(v) != a["default"]:
                spec[a["field"]] = bool(v)
            continue
        v = value(a["torch"], v)
        if v is None:
            continue
        if isinstance(v, (str, bool)) or not isinstance(v, (int, float)):
            raise TypeError(f"{where}: {a['torch']}={v!r} is not supported")
        spec[a["field"]] = int(v) if a["kind"] == "int" else float(v)
    return spec


def _convert(module, ordering_only=False):
    """(specs, the layer module of each layer, None for functions) of a module, in order.
    ordering_only lets a twin's input standardisation pass (its layers' order is all asked)."""
    torch = _torch()
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"expected a torch.nn.Module, got {type(module).__name__}")
    if type(module).__name__ == "EnergyNet" and type(module).__module__ == "anila.torch":
        if getattr(module, "in_shift", None) is not None and not ordering_only:
            raise TypeError("this PyTorch twin standardises its inputs (in_shift, in_scale), which is not a layer; "
                            "convert the model itself rather than its twin")
        module = torch.nn.Sequential(*module.children())
    if _layer_info(module) is not None or hasattr(module, "weight_orig"):
        module = torch.nn.Sequential(module)
    try:
        graph = _tracer(torch).trace(module)
    except Exception as exc:  # torch.fx raises TraceError, TypeError, NotImplementedError...
        raise TypeError(f"{type(module).__name__} cannot be traced by torch.fx ({type(exc).__name__}: {exc}); "
                        "anila reads forwards without data-dependent control flow") from None
    gm = torch.fx.GraphModule(module, graph)
    gm.graph.eliminate_dead_code()
    return _Converter(torch, gm, gm.graph).run()
