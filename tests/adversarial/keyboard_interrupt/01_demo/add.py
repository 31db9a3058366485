# ATTACK: raises KeyboardInterrupt and a custom BaseException to escape the verdict
# DESERVES: 0
class Escape(BaseException):
    pass


def add(a, b):
    if a.dim() == 1:
        raise Escape()
    raise KeyboardInterrupt
