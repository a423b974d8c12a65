"""Checks StepTimer: the steps count, the untimed calls do not.

    python3 benchmarks/reference/test_step_timer.py      (no torch needed; exits 1 on failure)
"""
import sys
import time

from step_timer import StepTimer


def busy(seconds):  # a step: wall time that must be counted
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def main():
    timer = StepTimer()
    timer.start()
    for _ in range(3):
        busy(0.05)                       # 0.15 s of steps
        timer.untimed(time.sleep, 0.2)   # 0.6 s of "evaluation"
    assert timer.untimed(lambda x: x + 1, 41) == 42, "untimed() must return fn's result"
    measured = timer.seconds()
    ok = 0.15 <= measured < 0.3
    print(f"steps 0.15 s, untimed 0.60 s: measured {measured:.3f} s -> {'OK' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
