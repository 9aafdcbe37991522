from libs.serve import serve

from .app import SERVICE, build

if __name__ == "__main__":  # never when a worker process imports the main module again
    serve(SERVICE, build)
