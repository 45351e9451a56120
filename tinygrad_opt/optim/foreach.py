"""Many small parameters stepped as one: PyTorch's `foreach` implementation, in numpy.

A rule's numpy body makes one numpy call per term of its formula (Adam: 13). On a small
parameter (a bias, the 64×32 weight of a teaching MLP) each call costs more in overhead than
in arithmetic, so a small model's step is mostly that overhead, once per parameter. But an
update rule is elementwise: its body gives the same bits on one long array as on each piece
of it (as `Optimizer._plain_update` relies on when it runs a large parameter in blocks). So
the small parameters of a group that agree on their dtype and on their state's numbers (the
same t) are laid end to end, and the body runs once for all of them:

    θ_flat = [θ₁ θ₂ … θₖ],  g_flat = [g₁ g₂ … gₖ]   (copies, made each step)
    body(θ_flat, g_flat, state_flat, group)         (one call per formula term, not k)
    θᵢ ← θ_flat[i]                                  (copied back into each parameter)

Each batched parameter's state arrays are views into one flat array per state entry, made
when the batch forms, so `optimizer.state[p]` is as before and the body updates it in place
with no copy. A batch is formed again (its state gathered into new flat arrays) whenever it
no longer fits: a parameter without a gradient this step, state replaced by
`load_state_dict` or by hand, parameters whose t differ.

A group's `foreach` (as in PyTorch): None (the default) batches the parameters of at most
`SMALL_SIZE` numbers when the rule's `batches_small_parameters` says it pays, True every
parameter, False none. `step()` batches only when no fused kernel runs (the kernels already
make one call per parameter).
"""
import numpy as np

SMALL_SIZE = 1 << 12
"""Parameters of at most this many numbers are batched by default: measured on the numpy path,
batching a parameter saves about 13 calls of Adam's body (~8 µs) and costs three copies of it
(θ in, g in, θ out), which stop paying for themselves around a few thousand numbers."""


def step_together(optimizer, params, states, group, formed):
    """Update what can be batched of `params` (all with a gradient; `states` theirs, t already
    advanced) with one body call per batch.

    `formed` is what the previous call returned for this group (or None): its batches are
    used again while they still fit, else formed anew. Returns the positions in `params` of
    the parameters left to be updated one at a time, and what to pass as `formed` next step.
    """
    choice = group.get("foreach")
    if not (choice or choice is None and optimizer.batches_small_parameters):
        return range(len(params)), None
    limit = SMALL_SIZE if choice is None else None
    if formed is None or not _still_fit(formed, params, states, limit):
        batches = [Batch(run, params, states) for run in _compatible(params, states, limit)]
        together = {index for batch in batches for index in batch.indices}
        formed = (params, limit, batches, [index for index in range(len(params)) if index not in together])
    for batch in formed[2]:
        batch.step(optimizer, params, states, group)
    return formed[3], formed


def _still_fit(formed, params, states, limit):
    """True when the batches were formed for these very parameters, with this size limit, and
    still fit them."""
    formed_params, formed_limit, batches, _ = formed
    if formed_limit != limit or len(formed_params) != len(params):
        return False
    if any(p is not q for p, q in zip(formed_params, params)):
        return False
    return all(batch.fits(params, states) for batch in batches)


def _compatible(params, states, limit):
    """The positions of `params` (of at most `limit` numbers, when it is not None) split into
    runs that one body call can update: the same dtype, the same state entries with the same
    numbers (t), every state array shaped like its parameter. Runs of two or more, each in
    the order of `params`."""
    runs = {}
    for index, (p, state) in enumerate(zip(params, states)):
        if limit is not None and p.data.size > limit:
            continue
        key = [p.data.dtype]
        for name, value in state.items():
            if isinstance(value, np.ndarray):
                if value.shape != p.data.shape or value.dtype != p.data.dtype:
                    break
                key.append(name)
            else:
                key.append((name, value))
        else:
            try:
                runs.setdefault(tuple(key), []).append(index)
            except TypeError:       # a state entry that is neither an array nor hashable
                pass
    return [run for run in runs.values() if len(run) > 1]


class Batch:
    """Parameters updated by one call of the body, and the flat arrays that call works on."""

    def __init__(self, indices, params, states):
        self.indices = indices
        members = [params[i] for i in indices]
        self.shapes = [p.data.shape for p in members]
        ends = np.cumsum([p.data.size for p in members]).tolist()
        self.pieces = [slice(end - p.data.size, end) for p, end in zip(members, ends)]
        self.dtype = members[0].data.dtype
        self.flat_param = np.empty(ends[-1], self.dtype)
        self.flat_grad = np.empty(ends[-1], self.dtype)
        self.param_views = self._split(self.flat_param)
        self.own_states = [states[i] for i in indices]
        self.flat_state = {}
        self.views = []             # (a member's state, entry name, the batch's view it must hold)
        for name, value in self.own_states[0].items():
            if isinstance(value, np.ndarray):
                self._adopt(name, np.concatenate([state[name].reshape(-1) for state in self.own_states]))
        self.numbers = [name for name, value in self.own_states[0].items() if not isinstance(value, np.ndarray)]
        self.entries = len(self.own_states[0])

    def _split(self, flat):
        return [flat[piece].reshape(shape) for piece, shape in zip(self.pieces, self.shapes)]

    def _adopt(self, name, flat):
        """Make `flat` the state entry `name`: each member's entry a view of it."""
        self.flat_state[name] = flat
        self.views = [entry for entry in self.views if entry[1] != name]
        for state, view in zip(self.own_states, self._split(flat)):
            state[name] = view
            self.views.append((state, name, view))

    def fits(self, params, states):
        """True when the members keep their states (or have none), their shapes and dtype;
        their states still hold the batch's views, and agree on their numbers (t)."""
        for index, own, shape in zip(self.indices, self.own_states, self.shapes):
            state, data = states[index], params[index].data
            if (state is not own and (state or own)) or len(state) != self.entries:
                return False
            if data.shape != shape or data.dtype != self.dtype:
                return False
        for state, name, view in self.views:
            if state.get(name) is not view:
                return False
        first = self.own_states[0]
        return all(state.get(name) == first.get(name) for name in self.numbers for state in self.own_states)

    def step(self, optimizer, params, states, group):
        """Gather θ and g, run the body once over the flat arrays, put θ back."""
        members = [params[i] for i in self.indices]
        self.own_states = [states[i] for i in self.indices]     # (a stateless rule's are new each step)
        np.concatenate([p.data for p in members], axis=None, out=self.flat_param)
        np.concatenate([p.grad.data for p in members], axis=None, out=self.flat_grad)
        state = dict(self.own_states[0])
        state.update(self.flat_state)
        optimizer._plain_update(self.flat_param, self.flat_grad, state, group)
        for p, view in zip(members, self.param_views):
            p.data[...] = view
        for name, value in state.items():
            if isinstance(value, np.ndarray):
                if value is not self.flat_state.get(name):      # an entry the body made (SGD's first b)
                    self._adopt(name, value)
                    self.numbers = [n for n in self.numbers if n != name]
            else:
                for own in self.own_states:                     # a number the body updated (Nadam's Π_t)
                    own[name] = value
        self.entries = len(state)
