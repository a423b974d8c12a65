"""The timed region of train_glue_torch.py: the training steps alone.

train_glue times its training loop (train/trainer.cpp); what the loop does besides the steps
(dev evaluations, checkpoint writes) must not count on this side either, or PyTorch's examples/s
would carry work that tinytune's leave out (issue 37: a run stopped inside an epoch used to time
the evaluation after the loop). StepTimer measures the wall time from start() to seconds(), less
every call made through untimed().
"""
import time


class StepTimer:
    def __init__(self, sync=lambda: None):
        # sync: waits for queued device work (torch.cuda.synchronize on a GPU), so that the steps'
        # kernels are not counted in an untimed call, nor its kernels in the steps
        self._sync = sync
        self._start = None
        self._untimed = 0.0

    def start(self):
        self._sync()
        self._start = time.perf_counter()
        self._untimed = 0.0

    def untimed(self, fn, *args, **kwargs):
        """Calls fn, keeping its wall time out of seconds()."""
        self._sync()
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            self._sync()
            self._untimed += time.perf_counter() - t0

    def seconds(self):
        """Wall time since start(), less the untimed calls."""
        if self._start is None:
            raise RuntimeError("StepTimer.seconds() before start()")
        self._sync()
        return time.perf_counter() - self._start - self._untimed
