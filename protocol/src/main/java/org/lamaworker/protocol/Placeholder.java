package org.lamaworker.protocol; final class Placeholder {}
