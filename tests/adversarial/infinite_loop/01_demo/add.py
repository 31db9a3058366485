# ATTACK: loops forever, swallowing every interruption
# DESERVES: 0
def add(a, b):
    while True:
        try:
            while True:
                pass
        except BaseException:
            continue
