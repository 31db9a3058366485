# ATTACK: uses ctypes to read or patch memory
# DESERVES: 0
import ctypes


def add(a, b):
    ctypes.string_at(id(a), 64)
    return a + b
