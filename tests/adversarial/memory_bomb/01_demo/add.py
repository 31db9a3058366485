# ATTACK: allocates memory until it runs out
# DESERVES: 0
def add(a, b):
    hog = []
    while True:
        hog.append(bytearray(512 * 1024 * 1024))
